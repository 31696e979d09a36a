"""The report endpoint of flask_app.py, as it is commonly written with FastAPI and asyncpg: GET
/report runs one query that holds the database for the report's time, on a connection from a
pool of DB_POOL_SIZE.

One Uvicorn process waits on any number of requests, but only DB_POOL_SIZE of them hold a
connection: the others wait in the pool's queue. P connections, P queries at once, whatever the
number of clients: the speedup over W sync workers is at most min(N, P)/W.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres DB_POOL_SIZE=10 PORT=9005 python3 fastapi_app.py
"""

import os

import asyncpg
import uvicorn
from fastapi import FastAPI, HTTPException, Query

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# asyncpg's own default size; PostgreSQL allows 100 connections by default, for every app.
POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "10"))
# Seconds the query holds the database when the request names none (?delay=S).
REPORT_DELAY = float(os.environ.get("REPORT_DELAY", "0.3"))

app = FastAPI()
pool = None


@app.on_event("startup")
async def open_pool():
    global pool
    # Every connection opened at start, so the first burst of requests does not pay for them.
    pool = await asyncpg.create_pool(DATABASE_URL, min_size=POOL_SIZE, max_size=POOL_SIZE)


@app.on_event("shutdown")
async def close_pool():
    await pool.close()


@app.get("/report")
async def report(delay: float = Query(REPORT_DELAY, ge=0, le=60)):
    try:
        # A request waits here while all POOL_SIZE connections are busy.
        async with pool.acquire() as conn:
            # pg_sleep stands for the slow aggregate of a real report: the database takes the time.
            generated_at = await conn.fetchval("SELECT now() FROM pg_sleep($1)", delay)
    except (OSError, asyncpg.PostgresError) as err:
        raise HTTPException(503, f"the database failed: {err!r}")
    return {"delay": delay, "generated_at": generated_at.isoformat()}


if __name__ == "__main__":
    # No access log: a line per request is CPU the sync app does not spend either.
    uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "9005")), access_log=False)
