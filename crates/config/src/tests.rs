// config tests: see below
