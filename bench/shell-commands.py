#!/usr/bin/env python3
"""Times the shell commands against a running daemon; see BENCHMARKS.md."""
import subprocess, sys, time, statistics
b, r = sys.argv[1], sys.argv[2]
# Start the daemon and wait for a complete index.
subprocess.run([b,'query','index_status','--root',r],capture_output=True,check=True)
def bench(args, n):
    ts=[]
    for _ in range(n):
        t=time.perf_counter(); out=subprocess.run([b]+args+['--root', r], capture_output=True); ts.append((time.perf_counter()-t)*1000)
        assert out.returncode in (0,3), out.stderr
    ts.sort()
    return statistics.median(ts), ts[max(0,int(len(ts)*0.95)-1)]
for name,args,n in [('status',['status'],20),('query find_definition',['query','find_definition','-a','name='+sys.argv[3]],20),('query find_references (limit 20)',['query','find_references','-a','name='+sys.argv[3],'-a','limit=20'],20),('query repo_map',['query','repo_map'],10),('doctor',['doctor'],5)]:
    p50,p95=bench(args,n)
    print(f"| {name} | {p50:.1f} | {p95:.1f} | {n} |")
