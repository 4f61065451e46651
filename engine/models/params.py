"""The ``models`` param: which model set every model stage of a job takes its models from."""

from engine.params import Param, ParamGroup

MODEL_SET_PARAMS = ParamGroup(
    "model set (engine/models)",
    Param("models", str, "default", "model set: default (real weights; a stage whose weights are "
          "absent is skipped with a note) or test-tiny (tiny random models, labelled as such)"),
)
