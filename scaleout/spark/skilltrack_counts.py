#!/usr/bin/env python3
"""skilltrack's counts on Apache Spark: a raw-postings lake in, a count snapshot out.

Every rule runs in the skilltrack binary, shipped to the executors with
--files and called by Spark SQL's TRANSFORM, so the cluster counts exactly
as `skilltrack import` / `reindex` do:

    raw lines ─ batch extract ─► DISTRIBUTE BY posting id, SORT BY posting id
              ─ batch reduce-postings ─► DISTRIBUTE BY group key, SORT BY group key
              ─ batch reduce-clusters ─► SUM(delta) GROUP BY skill, geo, counter, day

The snapshot is written under LAKE/counts/v1/snapshot=<id>/ (tsv/ parts,
csv/ twin with a header, manifest.json), then LAKE/counts/v1/_CURRENT is
replaced (temporary file + rename, last). Load it into a database with
`skilltrack import-counts LAKE/counts/v1`.

    spark-submit --master spark://HOST:7077 --files /path/to/skilltrack \\
        scaleout/spark/skilltrack_counts.py --lake /shared/lake

Error rows of the stages (bad raw lines) are counted; when they pass
--max-error-rate of the lines read, the job prints a summary (rows by
message, first examples) and exits 1 without writing a snapshot.
"""

import argparse
import datetime as dt
import glob
import hashlib
import json
import os
import sys
import urllib.parse

from pyspark import StorageLevel
from pyspark.sql import SparkSession

# Both row formats are stated: tab-separated fields, one row per line, \N
# for NULL (the stages never write it). JSON payloads never hold a raw tab
# or newline (the stages write compact JSON).
ROW_FORMAT = (
    "ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' "
    "LINES TERMINATED BY '\\n' NULL DEFINED AS '\\\\N'"
)


def parse_args(argv):
    p = argparse.ArgumentParser(description="raw-postings lake -> count snapshot")
    p.add_argument("--lake", required=True, help="the lake (a path every executor sees, or a Hadoop URI)")
    p.add_argument("--binary", default="skilltrack", help="file name of the binary shipped with --files")
    p.add_argument("--config", help="file name of a configuration shipped with --files ([counting] rules)")
    p.add_argument("--max-error-rate", type=float, default=0.01,
                   help="largest share of error rows among the lines read (default 0.01)")
    p.add_argument("--snapshot", help="snapshot id (default: UTC time and a hash of the input files)")
    p.add_argument("--parts", type=int, default=1, help="part files of the count table (default 1)")
    p.add_argument("--stage-delay", type=float, default=0.0,
                   help="seconds each stage process waits before it starts (fault-injection tests)")
    p.add_argument("--explain", action="store_true", help="print the physical plan of the count")
    return p.parse_args(argv)


def command(args, stage):
    """The shell command TRANSFORM runs for `skilltrack batch <stage>`."""
    parts = []
    if args.stage_delay > 0:
        parts.append("sleep %g &&" % args.stage_delay)
    parts.append("./%s" % args.binary)
    if args.config:
        parts.append("--config ./%s" % args.config)
    parts.append("batch %s" % stage)
    cmd = " ".join(parts)
    if "'" in cmd:
        sys.exit("skilltrack_counts: a quote in --binary or --config: %r" % cmd)
    return cmd


def transform(args, columns, stage, outputs, source):
    return (
        "SELECT TRANSFORM (%s) %s USING '%s' AS (%s) %s FROM %s"
        % (columns, ROW_FORMAT, command(args, stage), outputs, ROW_FORMAT, source)
    )


def fingerprint(spark, args):
    """What the binary on the executors says the counts depend on."""
    rows = spark.sql(
        transform(args, "id", "fingerprint", "json STRING", "range(1)")
    ).collect()
    if len(rows) != 1 or not rows[0].json:
        sys.exit("skilltrack_counts: `%s` printed nothing" % command(args, "fingerprint"))
    return json.loads(rows[0].json)


def count_table(spark, args, inputs):
    """The count table, the error rows and two statistics (#lines, #postings)
    in one aggregated DataFrame: the three stages run once; the two
    statistics read the same shuffles (reused exchanges)."""
    spark.read.text(inputs).createOrReplaceTempView("raw_lines")
    spark.sql(
        "CREATE OR REPLACE TEMP VIEW s1 AS "
        + transform(args, "value", "extract", "k STRING, seen STRING, payload STRING", "raw_lines")
    )
    # Grouping 1: by posting id (byte order; the stage orders a group itself).
    spark.sql("CREATE OR REPLACE TEMP VIEW s2in AS SELECT k, seen, payload FROM s1 DISTRIBUTE BY k SORT BY k")
    spark.sql(
        "CREATE OR REPLACE TEMP VIEW s2 AS "
        + transform(args, "k, seen, payload", "reduce-postings", "g STRING, id STRING, payload STRING", "s2in")
    )
    # Grouping 2: by duplicate group key.
    spark.sql("CREATE OR REPLACE TEMP VIEW s3in AS SELECT g, id, payload FROM s2 DISTRIBUTE BY g SORT BY g")
    spark.sql(
        "CREATE OR REPLACE TEMP VIEW s3 AS "
        + transform(
            args,
            "g, id, payload",
            "reduce-clusters",
            "skill STRING, geo STRING, counter STRING, day STRING, delta STRING",
            "s3in",
        )
    )
    # Error rows (`!`, where, message) pass through the stages and come out
    # here as skill '!', geo = where, counter = message. The statistics use
    # every column of the shuffled rows, and filter nothing, so that their
    # exchanges are the very ones the stages read (reused, not recomputed).
    return spark.sql(
        """
        SELECT skill, geo, counter, day, SUM(CAST(delta AS BIGINT)) AS value, COUNT(*) AS n
        FROM (
          SELECT skill, geo, counter, day, delta FROM s3
          UNION ALL
          SELECT '#lines', '', '', '', IF(length(concat_ws('', k, seen, payload)) >= 0, '1', '0') FROM s2in
          UNION ALL
          SELECT '#postings', '', '', '', IF(g = '!' OR length(concat_ws('', id, payload)) < 0, '0', '1')
          FROM s3in
        )
        GROUP BY skill, geo, counter, day
        HAVING skill = '!' OR skill LIKE '#%' OR SUM(CAST(delta AS BIGINT)) <> 0
        """
    )


def error_summary(errors, lines, rate, limit):
    by_message = {}
    for row in errors:
        by_message[row.counter] = by_message.get(row.counter, 0) + row.n
    out = [
        "skilltrack_counts: %d error rows for %d lines read (%.2f %%, more than --max-error-rate %.2f %%); "
        "no snapshot written." % (sum(r.n for r in errors), lines, 100 * rate, 100 * limit),
        "Error rows by message:",
    ]
    for message, n in sorted(by_message.items(), key=lambda kv: (-kv[1], kv[0]))[:20]:
        out.append("  %8d  %s" % (n, message))
    out.append("First examples (where, message):")
    for row in sorted(errors, key=lambda r: (r.geo or "", r.counter or ""))[:5]:
        out.append("  %s\t%s" % (row.geo, row.counter))
    return "\n".join(out)


class Storage:
    """Small files beside Spark's output: atomic on a local or shared POSIX
    file system (temporary name, fsync, rename); through Hadoop's FileContext
    (rename with OVERWRITE) elsewhere."""

    def __init__(self, spark, root):
        self.spark = spark
        parsed = urllib.parse.urlparse(root)
        self.local = parsed.scheme in ("", "file")
        if self.local:
            self.root = os.path.abspath(parsed.path if parsed.scheme == "file" else root)
        else:
            self.root = root.rstrip("/")

    def path(self, *parts):
        return "/".join([self.root.rstrip("/")] + list(parts))

    def list(self, directory):
        if self.local:
            return sorted(os.listdir(directory))
        jvm = self.spark._jvm
        p = jvm.org.apache.hadoop.fs.Path(directory)
        fs = p.getFileSystem(self.spark._jsc.hadoopConfiguration())
        return sorted(s.getPath().getName() for s in fs.listStatus(p))

    def replace(self, path, text):
        directory, name = path.rsplit("/", 1)
        tmp = "%s/.%s.tmp" % (directory, name)
        if self.local:
            os.makedirs(directory, exist_ok=True)
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            return
        jvm = self.spark._jvm
        conf = self.spark._jsc.hadoopConfiguration()
        src, dst = jvm.org.apache.hadoop.fs.Path(tmp), jvm.org.apache.hadoop.fs.Path(path)
        fs = src.getFileSystem(conf)
        out = fs.create(src, True)
        out.write(bytearray(text.encode("utf-8")))
        out.hsync()
        out.close()
        fc = jvm.org.apache.hadoop.fs.FileContext.getFileContext(src.toUri(), conf)
        overwrite = self.spark.sparkContext._gateway.new_array(jvm.org.apache.hadoop.fs.Options.Rename, 1)
        overwrite[0] = jvm.org.apache.hadoop.fs.Options.Rename.OVERWRITE
        fc.rename(src, dst, overwrite)


def main(argv):
    args = parse_args(argv)
    spark = SparkSession.builder.appName("skilltrack-counts").getOrCreate()
    storage = Storage(spark, args.lake)
    raw_glob = storage.path("raw", "v1", "day=*", "source=*", "run=*.jsonl.gz")
    provenance = fingerprint(spark, args)

    if storage.local:
        # Listed here: Spark would look for a metadata directory at the glob.
        inputs = sorted(glob.glob(raw_glob))
    else:
        inputs = sorted(spark.read.text(raw_glob).inputFiles())
    if not inputs:
        sys.exit("skilltrack_counts: no raw file matches %s" % raw_glob)
    created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    snapshot = args.snapshot or "%s-%s" % (
        created.strftime("%Y%m%dT%H%M%SZ"),
        hashlib.blake2b(
            json.dumps([inputs, provenance], sort_keys=True).encode(), digest_size=4
        ).hexdigest(),
    )

    table = count_table(spark, args, inputs)
    if args.explain:
        table.explain()
    table = table.persist(StorageLevel.MEMORY_AND_DISK)
    special = table.filter("skill = '!' OR skill LIKE '#%'").collect()
    if args.explain:
        table.explain()  # the final plan: ReusedExchange where a shuffle is read twice
    stats = {r.skill: r.value for r in special if r.skill.startswith("#")}
    errors = [r for r in special if r.skill == "!"]
    lines, postings = stats.get("#lines", 0) or 0, stats.get("#postings", 0) or 0
    error_rows = sum(r.n for r in errors)
    rate = error_rows / lines if lines else 0.0
    if rate > args.max_error_rate:
        print(error_summary(errors, lines, rate, args.max_error_rate), file=sys.stderr)
        spark.stop()
        return 1

    counts = table.filter("skill <> '!' AND skill NOT LIKE '#%'").select(
        "skill", "geo", "counter", "day", "value"
    )
    summary = counts.selectExpr("COUNT(*) AS rows", "MIN(day) AS first", "MAX(day) AS last").collect()[0]
    ordered = counts.orderBy("skill", "geo", "counter", "day").coalesce(max(1, args.parts))
    snapshot_dir = storage.path("counts", "v1", "snapshot=%s" % snapshot)
    ordered.selectExpr("concat_ws('\t', skill, geo, counter, day, CAST(value AS STRING))").write.mode(
        "errorifexists"
    ).text(snapshot_dir + "/tsv")
    ordered.write.mode("errorifexists").option("header", True).csv(snapshot_dir + "/csv")
    parts = [
        "tsv/" + name
        for name in storage.list(snapshot_dir + "/tsv")
        if not name.startswith((".", "_"))
    ]
    manifest = {
        "schema": 1,
        "snapshot": snapshot,
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "binary_version": provenance["binary_version"],
        "taxonomy_fingerprint": provenance["taxonomy_fingerprint"],
        "geography_fingerprint": provenance["geography_fingerprint"],
        "count_rules": provenance["count_rules"],
        "days": {"first": summary.first, "last": summary.last} if summary.rows else None,
        "rows": summary.rows,
        "postings": postings,
        "error_rows": error_rows,
        "lines": lines,
        "inputs": len(inputs),
        "parts": parts,
    }
    storage.replace(snapshot_dir + "/manifest.json", json.dumps(manifest, indent=1) + "\n")
    # Last: the pointer readers follow.
    storage.replace(storage.path("counts", "v1", "_CURRENT"), snapshot + "\n")
    print(
        "skilltrack_counts: snapshot %s: %d rows, %d postings, %d lines, %d error rows"
        % (snapshot, summary.rows, postings, lines, error_rows)
    )
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
