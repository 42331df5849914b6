-- A revalidating client (customer-service, CloudFront): GET with the ETag it holds.
wrk.headers["If-None-Match"] = os.getenv("BENCH_ETAG")
