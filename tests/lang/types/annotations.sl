(def x:i64 10)
x
(def s:str "hi")
s
(def b:bool false)
b
(def f:f64 2.5)
f
(def l:list (list 1 2))
l
(def a:any "anything")
a
(def g:fn (fun (n) (* n n)))
(g 3)
(let ((t:str "hi")) t)
(let ((n:i64 5) (m:i64 (+ n 1))) (* n m))
(let ((v:any nil)) v)
