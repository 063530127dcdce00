# Shared by copy_memory_test.sh and analyze_memory_test.sh (sourced; needs $src).
# make_context DIR N: N files of 100-900 bytes in N/100 directories, names like W2's
# ("d012/file-001234.js"), COPY-only onto the synthetic Nano Server base ($nano).
make_context() {
  python3 - "$1" "$2" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
data = os.path.join(root, "data")
for i in range(n):
    d = os.path.join(data, "d%03d" % (i // 100))
    if i % 100 == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "file-%06d.js" % i), "w") as f:
        f.write(("x%d " % i) * (25 + i % 200))
with open(os.path.join(root, "Dockerfile"), "w") as f:
    f.write("FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCOPY data C:/data\n")
with open(os.path.join(root, ".dockerignore"), "w") as f:
    f.write("Dockerfile\n")
PY
}
nano="mcr.microsoft.com/windows/nanoserver:ltsc2022=oci-layout://$src/samples/bases/nanoserver:ltsc2022"
