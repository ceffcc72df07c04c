"""The coach's jobs, each written once: the app's screens and the CLI's commands both call these.

One module per job: `decoding` (decode, save, load the saved decode, re-decode),
`interviewing` (start, ask, submit, score and coach, resume), `benchruns` (record and list
benchmark results). They take the database, the models and a cancel event, and yield
plain events; they never touch a widget or print.
"""
