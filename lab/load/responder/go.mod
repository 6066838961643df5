module edgelab/responder

go 1.22
