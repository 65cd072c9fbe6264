-- Failed log-ins, for throttling (docs/security.md): at most 5 failures per
-- account and 20 per client address within 15 minutes, then 429 until the
-- oldest failure of the window has aged out.  A successful log-in clears the
-- account's rows.  Rows older than a day are purged on log-in.
-- The user name is stored as typed (unknown names count too, so guessing
-- names is throttled as well); never the password.
CREATE TABLE login_failure (
  id        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username  VARCHAR(64)  NOT NULL,
  address   VARCHAR(46)  CHARACTER SET ascii NOT NULL,
  at        DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY ix_login_failure_user (username, at),
  KEY ix_login_failure_addr (address, at),
  KEY ix_login_failure_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
