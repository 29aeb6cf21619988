"""The only Ray code of the library: cluster connection, engine replicas, persona shards and the driver.

Everything here wraps the plain-Python domain objects (PersonaGroup, Engine) in actors; nothing outside this
package and ``jobs/`` imports ``ray``.
"""
