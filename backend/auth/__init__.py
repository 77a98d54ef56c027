"""Who is calling: people with JWTs, client machines with API keys."""
