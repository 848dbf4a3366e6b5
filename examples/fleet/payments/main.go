// Payments API: serves HTTP/2.
package main

import (
	"net/http"

	"golang.org/x/net/http2"
)

func main() {
	srv := &http.Server{Addr: ":8443"}
	_ = http2.ConfigureServer(srv, &http2.Server{})
	_ = srv.ListenAndServeTLS("cert.pem", "key.pem")
}
