"""Remote media, fetched safely: only public http(s) hosts, bounded in time and size, cached.

    policy.py   which URLs and addresses may be fetched, and the limits of a fetch
    connect.py  sockets that only ever connect to an address the policy allows
    client.py   one GET with redirects, caps, timeouts and content checks
    cache.py    the persistent cache, keyed by URL, with ETag/Last-Modified validators
    remote.py   `RemoteMedia`, the thread-safe fetcher the media stage calls

Import the submodules directly; this package imports nothing, so `eventsite.media` can use
`policy.display_url` while `remote` uses `eventsite.media` without an import cycle.
"""
