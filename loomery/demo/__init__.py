"""The demo: a generated local corpus with bad records among the good, and a run over it."""
