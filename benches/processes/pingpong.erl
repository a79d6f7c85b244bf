%% Two spawned processes exchange M messages in total (M/2 round trips, an integer each
%% way). Same structure and output as pingpong.sl.
%% Usage: erl -noshell -pa DIR -run pingpong main M
-module(pingpong).
-export([main/1, pinger/2, ponger/1]).

main([MS]) ->
    M = list_to_integer(MS),
    T0 = erlang:monotonic_time(microsecond),
    spawn(?MODULE, pinger, [self(), M div 2]),
    Last = receive {done, L} -> L end,
    T1 = erlang:monotonic_time(microsecond),
    io:format("messages ~p~n", [M]),
    io:format("last ~p~n", [Last]),
    io:format("pass_ms ~.3f~n", [(T1 - T0) / 1000]),
    erlang:halt(0).

ponger(Pinger) ->
    receive
        stop -> ok;
        K -> Pinger ! K, ponger(Pinger)
    end.

pinger(Me, Trips) ->
    Pong = spawn(?MODULE, ponger, [self()]),
    loop(Me, Pong, 0, Trips, -1).

loop(Me, Pong, I, Trips, _Last) when I < Trips ->
    Pong ! I,
    receive K -> loop(Me, Pong, I + 1, Trips, K) end;
loop(Me, Pong, _, _, Last) ->
    Pong ! stop,
    Me ! {done, Last}.
