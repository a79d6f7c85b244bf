; set! needs an existing binding
(set! ghost 1)
