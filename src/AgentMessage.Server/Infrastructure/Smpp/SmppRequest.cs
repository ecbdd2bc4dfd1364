using AgentMessage.Server.Infrastructure.Smpp.Protocol;

namespace AgentMessage.Server.Infrastructure.Smpp;

/// <summary>Why a request got no answer from the SMSC.</summary>
public enum SmppFailure
{
    /// <summary>Answered: see the response's status.</summary>
    None,

    /// <summary>Never written: no bind was up, or none had room, in time. Safe to send again at once.</summary>
    NotSent,

    /// <summary>Written, but unanswered within the response timeout: the SMSC may have it.</summary>
    Timeout,

    /// <summary>Written, but the connection closed before the answer: the SMSC may have it.</summary>
    ConnectionLost,
}

/// <summary>The SMSC's answer to a request, or why there was none.</summary>
/// <param name="Pdu">The response (or generic_nack); null without one, or when it could not be decoded.</param>
/// <param name="Status">The response's command_status (0 = OK).</param>
/// <param name="Failure">Why there was no answer.</param>
public readonly record struct SmppResponse(Pdu? Pdu, uint Status, SmppFailure Failure)
{
    public bool IsAnswered => Failure == SmppFailure.None;

    public bool IsOk => Failure == SmppFailure.None && Status == CommandStatus.Ok;

    public static SmppResponse Failed(SmppFailure failure) => new(null, CommandStatus.Ok, failure);
}

/// <summary>
/// One request on its way: queued for whichever bind has room first, taken by exactly one of them
/// (or abandoned by its sender when none took it in time), then answered.
/// </summary>
internal sealed class SmppRequest(Pdu pdu)
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int Abandoned = 2;
    private int state;

    public Pdu Pdu { get; } = pdu;

    public TaskCompletionSource<SmppResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Claims the request for sending; false when it was abandoned (or already taken).</summary>
    public bool TryTake() => Interlocked.CompareExchange(ref state, Taken, Queued) == Queued;

    /// <summary>Withdraws a request no bind has taken; false when one already has.</summary>
    public bool TryAbandon() => Interlocked.CompareExchange(ref state, Abandoned, Queued) == Queued;

    public void Complete(SmppResponse response) => Completion.TrySetResult(response);
}
