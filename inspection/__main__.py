from inspection.cli import run

run()
