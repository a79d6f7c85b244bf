; list/flatten flattens nested lists fully, iteratively
(list/flatten (list 1 (list 2 (list 3 ())) 4))
(list/flatten ())
(list/flatten nil)
(list/flatten (list 1 2 3))
(list/flatten (list () (list ()) (list (list ()))))
(list/flatten (list nil (list nil) 1))
(list/flatten (list (list "a" (list "é")) :k 'sym))
(list/flatten '(1 (2 (3 (4 (5))))))
; maps are not lists: they stay elements
(list/flatten (list (map/create :a (list 1 2))))
; the argument is not changed
(def xs (list 1 (list 2 3)))
(list/flatten xs)
xs
; deep nesting does not overflow the stack
(def deep (loop ((i 0) (acc (list 1 2))) (if (< i 200000) (recur (+ i 1) (list i acc)) acc)))
(list/length (list/flatten deep))
(list/take (list/flatten deep) 3)
(list/drop (list/flatten deep) 199999)
(def wide (list/map (fun (i) (list i (list i))) (list/range 100000)))
(list/length (list/flatten wide))
; errors
(list/flatten 5)
(list/flatten "abc")
(list/flatten)
