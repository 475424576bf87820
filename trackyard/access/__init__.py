"""Access control (issue 18): who is calling (passwords, personal access tokens, UI
sessions), what they may do (permissions on experiments and registered models, granted to
users and roles), and the layer that checks every request against its route's rule.

Off unless `trackyard server --auth`; see docs/security.md.
"""
