"""The QDA import room: REFI-QDA projects and code matrices + a mapping -> a dataset folder."""
