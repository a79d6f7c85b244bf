; strings: string building by repeated concatenation. 2000 outer rounds; each
; round starts from "" and appends "x" followed by a number 500 times
; (1,000,000 appends in total), then adds the final string's length to a total.
; Rebuilding per round keeps strings short (< 3 KB), so the run measures
; concatenation and number formatting rather than one huge quadratic copy.
; Exercises: string/concat (with integer -> text conversion), string/length,
; loop/recur, tail calls.
; In round j the appended numbers are j+1 .. j+500.
; Expected output: 4620863

(defun build-string (j)
  (loop ((i 1) (acc ""))
    (if (> i 500)
        acc
        (recur (+ i 1) (string/concat acc "x" (+ i j))))))

(defun rounds (j total)
  (if (> j 2000)
      total
      (rounds (+ j 1) (+ total (string/length (build-string j))))))

(print (rounds 1 0))
