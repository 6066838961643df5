// responder: the cheapest HTTP/1.1 server the lab can run, used only to measure a load
// generator's ceiling. It parses just enough of each request (the header end and Content-Length)
// to answer it with a fixed 200, so per request it costs a fraction of what the generators
// themselves cost: the generator, not the responder, is what saturates.
//
//	PORT=8080 responder
package main

import (
	"bufio"
	"bytes"
	"io"
	"log"
	"net"
	"os"
	"strconv"
)

var reply = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n")

func serve(conn net.Conn) {
	defer conn.Close()
	reader := bufio.NewReaderSize(conn, 64<<10)
	writer := bufio.NewWriterSize(conn, 64<<10)
	for {
		length := 0
		for {
			line, err := reader.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) <= 2 { // the blank line that ends the header
				break
			}
			if len(line) > 15 && bytes.EqualFold(line[:15], []byte("content-length:")) {
				n, err := strconv.Atoi(string(bytes.TrimSpace(line[15:])))
				if err != nil || n < 0 {
					return
				}
				length = n
			}
		}
		if length > 0 {
			if _, err := io.CopyN(io.Discard, reader, int64(length)); err != nil {
				return
			}
		}
		if _, err := writer.Write(reply); err != nil {
			return
		}
		// Answer now unless the client already pipelined the next request.
		if reader.Buffered() == 0 {
			if err := writer.Flush(); err != nil {
				return
			}
		}
	}
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	// HOST: the address the load generator reaches (the SUT's address on the lab link when the
	// generator runs on another host); loopback by default.
	host := os.Getenv("HOST")
	if host == "" {
		host = "127.0.0.1"
	}
	listener, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		log.Fatal(err)
	}
	for {
		conn, err := listener.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(conn)
	}
}
