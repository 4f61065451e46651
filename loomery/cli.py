"""The ``loomery`` command. Each module in ``loomery/commands`` adds one subcommand."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Iterable

import loomery.commands
from loomery.commands import COMMANDS


def _shows_default(default) -> bool:
    return default not in (None, False, argparse.SUPPRESS) and default != []


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Help that ends each option with its default, unless the default is "none" (None, off, [])."""

    def _get_help_string(self, action: argparse.Action) -> str:
        help_text = action.help or ""
        if "%(default)" in help_text or not _shows_default(action.default):
            return help_text
        if not action.option_strings and action.nargs not in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return help_text  # a required positional has no default
        return f"{help_text} (default: %(default)s)" if help_text else "default: %(default)s"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help shows defaults, for every subcommand and their subcommands."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs):
        if not kwargs.get("help") and _shows_default(kwargs.get("default")):
            kwargs["help"] = "default: %(default)s"  # an option given no help still shows its default
        return super().add_argument(*args, **kwargs)


VERBOSE_HELP = "show Ray's start-up notices and warnings (hidden by default)"


def add_verbose_option(parser: argparse.ArgumentParser) -> None:
    """``--verbose`` on a subcommand too (``loomery run ... --verbose``), not only before it."""
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help=VERBOSE_HELP)


def build_parser(load: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The ``loomery`` parser. Every subcommand's module is imported and registered, or with
    ``load`` only those named: the others are listed, with their help, by name alone."""
    parser = Parser(
        prog="loomery",
        description="Crawl, filter, deduplicate, recaption and shard image-text data on Ray.",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in sorted(info.name for info in pkgutil.iter_modules(loomery.commands.__path__)):
        if load is None or name in load or name not in COMMANDS:
            module = importlib.import_module(f"loomery.commands.{name}")
            if hasattr(module, "register"):
                module.register(subparsers)
        else:
            subparsers.add_parser(name, help=COMMANDS[name])  # listed; never parsed
    return parser


def command_of(argv: list[str]) -> str | None:
    """The subcommand ``argv`` names: its first word that is not an option (the top-level
    options take no value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``loomery`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    command = command_of(argv)
    args = build_parser(load={command} if command else set()).parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("loomery").setLevel(logging.WARNING if args.quiet else logging.INFO)
    from engine.runner.console import set_verbose  # here: importing the runner imports Ray

    set_verbose(args.verbose)
    try:
        return int(args.func(args) or 0)
    except (FileNotFoundError, ValueError, RuntimeError, KeyError) as error:
        print(f"loomery {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
