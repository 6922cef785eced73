-- wrk: every request a POST with a small JSON body: the gateway's native request, which
-- carries a KServe v2 inference request as its input (nginx ignores the body).
wrk.method = "POST"
wrk.body = '{"input": {"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}}'
wrk.headers["Content-Type"] = "application/json"
