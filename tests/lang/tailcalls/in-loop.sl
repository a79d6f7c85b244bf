; A call in tail position inside a `loop` is a proper tail call too: mutual recursion through
; it runs in constant stack, on both paths.
(defun ping (n)
  (loop ((i 0))
    (if (== n 0)
        :done
        (if (< i 1) (recur (+ i 1)) (pong (- n 1))))))
(defun pong (n) (ping n))
(ping 300000)
; the same through a closure called in tail position inside a loop
(defun spin (n k)
  (loop ((i 0))
    (if (< i 2) (recur (+ i 1)) (k n))))
(defun countdown (n) (if (== n 0) :zero (spin (- n 1) countdown)))
(countdown 300000)
