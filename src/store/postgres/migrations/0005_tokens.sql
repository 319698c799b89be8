-- API tokens of the server: only the hash of each token's secret is kept.
CREATE TABLE tokens (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL,
  hash       TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
