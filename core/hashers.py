"""Password hashing: Argon2id with parameters chosen for the production host (docs/deployment.md).

Django's defaults (time_cost 2, memory_cost 100 MiB, parallelism 8) cost about 100 ms of both cores per
hash here; 30 staff logging in at once would queue for seconds. The parameters below are OWASP's first
recommended Argon2id configuration (19 MiB, 2 passes, 1 lane): about 17 ms of one core per hash on this
machine, and 19 MiB per hash in flight (8 worker threads: about 150 MiB at most).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class BureauArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id ("argon2" prefix, so a change of parameters rehashes at the next login)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
