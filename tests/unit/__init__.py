"""Fast tests of pure code: no database server, no browser, no network."""
