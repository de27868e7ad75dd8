#!/usr/bin/env python3
"""subprocess_blas.py - NumPy's BLAS around subprocess.run, which Python
3.11 starts with vfork (and close_fds=True, the default, closes every
descriptor >= 3 in the child before its exec).

  subprocess_blas.py parent   10 dgemm of 64 x 64, subprocess.run(['true']),
                              a child Python running this script's
                              "child", 10 dgemm more; prints
                              "pid parent PID", "pid child PID",
                              "child dgemm CALLS FLOPS"
                              and "dgemm CALLS FLOPS", what the child's
                              and the parent's traces must hold
  subprocess_blas.py child    3 dgemm of 32 x 32; prints "dgemm CALLS FLOPS"
"""
import os
import subprocess
import sys

import numpy as np


def gemms(n, times):
    a = np.ones((n, n))
    for _ in range(times):
        a @ a
    return times, times * 2 * n ** 3


def main(role):
    if role == "child":
        print("dgemm %d %d" % gemms(32, 3))
        return
    c1, f1 = gemms(64, 10)
    subprocess.run(["true"], close_fds=True, check=True)
    child = subprocess.Popen([sys.executable, __file__, "child"], close_fds=True,
                             stdout=subprocess.PIPE, text=True)
    out = child.communicate()[0]
    if child.returncode:
        sys.exit("the child exited %d" % child.returncode)
    c2, f2 = gemms(64, 10)
    print("pid parent %d" % os.getpid())
    print("pid child %d" % child.pid)
    print("child " + out, end="")
    print("dgemm %d %d" % (c1 + c2, f1 + f2))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "parent")
