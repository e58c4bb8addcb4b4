"""``python -m actmine.agent``: the same as the ``actmine`` command."""

from actmine.agent.cli import main  # absolute: worker processes re-import __main__ by path

if __name__ == "__main__":
    main()
