"""The daily engagement check: each customer's score of the day kept in a history, alerts raised and
resolved by the rules of docs/rules.md ("Alerts"), and one digest per CSM of the new ones (outbox, webhook).

`rules` holds the pure conditions over numpy columns, `check` the run against the store, `notify` the
digests and their delivery, `questions` what the edges ask (run the check, list and acknowledge alerts,
read a customer's history), `schemas` the answers.
"""
