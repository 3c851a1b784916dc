"""The newsletter: signup form per provider, the builtin double opt-in service, the digest.

Nothing is imported here, so `generator.config` can import the settings module alone.
"""
