module github.com/edge-lab/workloads/go

go 1.19
