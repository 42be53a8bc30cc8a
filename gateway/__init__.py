"""The per-call decision that gateways ask for: is this API key allowed to call this path right now?

- `keys`: the key cache and its loader (one indexed look-up by SHA-256, in a worker thread, shared by
  concurrent misses), the bounded cache of unknown keys, and the feed of retired keys every instance follows.
- `limits`: a plan's rate limit and quota, counted in this process and synced to Redis when configured.
- `usage`: calls per credential and UTC day, counted in memory and written in batches.
- `decision`: the facts of one call as each gateway sends them, and a pure `decide(facts, key_info, now)`.
- `asgi`: the thin adapter in front of the web app that answers the gateway paths.

Nothing here imports `workflows` or the web session: workflows call down into this package.
"""
