"""GitHub branch: pull requests, files, commits, reviews and linked issues from the GitHub API
(PyGithub) or an offline local clone, normalised to one record shape (``records.py``), and the
PR chains derived from them (``chains.py``)."""
