"""The domain: every rule lives here once. Services take the actor and the project as arguments and own transactions."""
