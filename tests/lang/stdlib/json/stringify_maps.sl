; map keys: strings as they are, keywords and symbols without the colon,
; numbers, booleans and nil in their print form
(json/stringify (map/create :name "Ada" "born" 1815 'sym :kw))
(json/stringify (map/create 1 "one" 2.5 "x" true 1 false 2 nil 3))
(print (json/stringify (map/create :a (list 1 2) :b (map/create :c nil)) true))
(json/parse (json/stringify (map/create :a 1 :b (list :c))))
; two keys that write the same text are an error (the object would lose one)
(json/stringify (map/create :a 1 "a" 2))
(json/stringify (map/create 'x 1 :x 2))
(json/stringify (map/create 1 :int "1" :str))
; keys JSON cannot represent
(json/stringify (map/create (list 1 2) 1))
(json/stringify (map/create (map/create) 1))
(json/stringify (map/create print 1))
(json/stringify (map/create :f print))
; a map that contains itself
(def m (map/create :a 1))
(map/size (map/set! m :self m))
(json/stringify m)
