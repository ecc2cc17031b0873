from eventsite.cli import run

run()
