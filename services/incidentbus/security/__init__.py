"""Identities and permissions on the broker: SCRAM users and ACLs, both derived from the catalog.

`acl` and `users` are pure (plans and diffs); `protocol` holds the Kafka requests aiokafka's admin
client does not wrap; `broker` is the adapter that reads and changes the broker.
"""
