(try (throw "first") (catch e (throw e)))
