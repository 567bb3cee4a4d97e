"""Reports and briefs: assemble report data from queries, render HTML/Markdown, print PDF.

``data`` computes nothing statistical (it calls the query layer); ``plots`` draws only
the tables it is given; ``render`` fills Jinja2 templates with autoescape; ``i18n`` holds
one translation table per language.
"""
