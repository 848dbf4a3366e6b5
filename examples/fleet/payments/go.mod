module example.com/payments

go 1.21.1

require golang.org/x/net v0.7.0

require golang.org/x/text v0.7.0 // indirect
