"""OpenID 2.0: the consumer (Flask-OpenID made safe), association negotiation
and the store python3-openid keeps associations and nonces in."""
