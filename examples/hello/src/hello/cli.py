"""Command-line entry point: `hello [NAME]`."""

import platform
import sys

from hello import __version__


def greeting(name: str) -> str:
    return f"Hello, {name}! (hello {__version__} on Python {platform.python_version()})"


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(greeting(args[0] if args else "world"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
