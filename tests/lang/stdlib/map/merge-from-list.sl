; map/merge: a new map, later maps win, the first position of a key is kept
(map/merge (map/create :a 1 :b 2) (map/create :b 3 :c 4))
(map/merge (map/create :a 1) (map/create :b 2) (map/create :a 9))
(map/merge)
(map/merge (map/create :a 1))
(map/merge (map/create) (map/create))
(map/merge (map/create 1 :int) (map/create 1.0 :float))
(def x (map/create :a 1))
(def y (map/create :b 2))
(def merged (map/merge x y))
merged
(map/set! merged :c 3)
x
y
(eq? (map/merge x) x)
(== (map/merge x) x)
(def self-merge (map/merge x x))
self-merge
; map/from-list: (key value) lists
(map/from-list (list (list :a 1) (list "b" 2)))
(map/from-list ())
(map/from-list nil)
(map/from-list (list (list :a 1) (list :a 2) (list :b 3)))
(map/from-list (list (list (list 1 2) :pair) (list nil nil)))
(map/from-list '((a 1) (b 2)))
; round trip through entries
(def m (map/create :x 1 :y (list 2 3) "z" nil))
(map/entries m)
(map/from-list (map/entries m))
(== (map/from-list (map/entries m)) m)
(map/from-list (list/map (fun (i) (list i (* i i))) (list/range 5)))
; errors
(map/merge (map/create) 5)
(map/merge (list 1 2))
(map/from-list (list (list 1 2) 3))
(map/from-list (list (list 1 2 3)))
(map/from-list (list (list 1)))
(map/from-list (list ()))
(map/from-list (list "ab"))
(map/from-list (map/create :a 1))
(map/from-list)
