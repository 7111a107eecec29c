"""Demo content for `make run` (`manage.py load_demo_content`): the one place allowed to reach
into every room, because it puts a whole working site together. Nothing imports it."""
