"""The ways in and out: OpenID 2.0, OpenID Connect, and the accounts they lead to."""
