"""Development-only support of the platform (never in a production image): the test harness
(``harness``: PostgreSQL databases, RabbitMQ vhosts and suites of real processes), the pytest plugin, and
the helpers, fakes and test-only RPC hooks that tests of several services share."""
