"""A quiet console: Ray's start-up boilerplate is hidden unless ``loomery --verbose``.

Each notice is silenced where Ray emits it, by name; nothing else is filtered, so a worker's
traceback or print (``log_to_driver``), a failed task and every Ray warning or error not listed
here still reach the console.

Left as is: Ray's C++ core logs, at ERROR level, "Actor ... has constructor arguments in the
object store and max_restarts > 0" (``core_worker.cc``) once per actor Ray Data starts
(ray-project/ray#57733). The only Ray setting that hides it, ``RAY_BACKEND_LOG_LEVEL=fatal``,
would hide every real C++ error of the driver too.
"""

from __future__ import annotations

import logging
import os
import warnings

_verbose = False

# Python loggers whose every message is boilerplate for loomery, with what they say.
QUIET_LOGGERS = {
    # "Token authentication is enabled for this Ray cluster..." on every ray.init. Setting
    # RAY_AUTH_MODE=token instead is too late once ray is imported: the driver's cached config
    # stays "disabled" while the GCS it starts wants a token, and the start fails.
    "ray._private.authentication.authentication_token_setup": logging.ERROR,
    # "Progress bars disabled...": loomery draws its own progress (engine/runner/progress.py)
    "ray.data._internal.progress": logging.ERROR,
}

# Ray Data warns when a task or actor pool is larger than the blocks it is given; the runner
# sizes every pool from --workers and a phase may have fewer units than that, which is harmless.
POOL_LARGER_THAN_INPUT = r"The (maximum|minimum) number of concurrent (tasks|actors) for .* is set to"


def set_verbose(verbose: bool) -> None:
    """Show (True) or hide (False, the default) Ray's boilerplate in the runs that follow."""
    global _verbose
    _verbose = verbose


def is_verbose() -> bool:
    """Whether Ray's boilerplate is shown (``--verbose`` or ``LOOMERY_VERBOSE=1``)."""
    return _verbose or os.environ.get("LOOMERY_VERBOSE") == "1"


def prepare_ray_console() -> None:
    """Call before ``ray.init``: hide or show the notices listed here, per ``is_verbose()``."""
    verbose = is_verbose()
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else level)
    action = "default" if verbose else "ignore"
    warnings.filterwarnings(action, message=POOL_LARGER_THAN_INPUT, category=UserWarning,
                            module=r"ray\.data\.")
