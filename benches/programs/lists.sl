; lists: build a 1,000,000-element list with cons, reverse it, then sum it twice:
; once with a tail-recursive head/tail walk and once with list/reduce. 3 rounds.
; Exercises: cons/head/tail/empty?, list/reverse, list/reduce with a closure,
; tail calls, allocation of many small cells.
; Each round sums 0..999999 twice: 2 * 499999500000 = 999999000000.
; Expected output: 2999997000000

; Cons 0, 1, ..., n-1 onto the front: gives (n-1 ... 1 0).
(defun build (i n acc)
  (if (== i n)
      acc
      (build (+ i 1) n (cons i acc))))

; Tail-recursive head/tail walk.
(defun sum-walk (lst acc)
  (if (empty? lst)
      acc
      (sum-walk (tail lst) (+ acc (head lst)))))

(defun one-round (n)
  (let ((lst (list/reverse (build 0 n (list)))))
    (+ (sum-walk lst 0)
       (list/reduce (fun (acc x) (+ acc x)) 0 lst))))

(defun rounds (r n total)
  (if (== r 0)
      total
      (rounds (- r 1) n (+ total (one-round n)))))

(print (rounds 3 1000000 0))
