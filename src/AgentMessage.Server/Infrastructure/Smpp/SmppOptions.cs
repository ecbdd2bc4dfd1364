namespace AgentMessage.Server.Infrastructure.Smpp;

/// <summary>
/// Which carrier link the dispatcher hands messages to (<c>AgentMessage:Carrier:Gateway</c>):
/// <c>simulator</c> (the default, embedded) or <c>smpp</c> (<see cref="SmppOptions"/>).
/// </summary>
public sealed class CarrierGatewayOptions
{
    public const string Section = "AgentMessage:Carrier";

    public const string Simulator = "simulator";

    public const string Smpp = "smpp";

    public string Gateway { get; set; } = Simulator;

    public bool IsSmpp => string.Equals(Gateway, Smpp, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The SMPP 3.4 link to an SMSC (<c>AgentMessage:Carrier:Smpp</c>), used when
/// <c>AgentMessage:Carrier:Gateway</c> is <c>smpp</c>. Every key is part of the public configuration
/// (README, "Pointing the service at an SMSC").
/// </summary>
public sealed class SmppOptions
{
    public const string Section = "AgentMessage:Carrier:Smpp";

    /// <summary>The SMSC's host name or address.</summary>
    public string? Host { get; set; }

    /// <summary>The SMSC's port (2775 is the usual one).</summary>
    public int Port { get; set; } = 2775;

    /// <summary>The account's system_id (at most 15 characters).</summary>
    public string? SystemId { get; set; }

    /// <summary>The account's password (at most 8 characters, as SMPP 3.4 allows).</summary>
    public string? Password { get; set; }

    /// <summary>The system_type the SMSC may ask for (at most 12 characters); empty by default.</summary>
    public string SystemType { get; set; } = string.Empty;

    /// <summary>Connections (bind_transceiver sessions) per instance.</summary>
    public int Binds { get; set; } = 1;

    /// <summary>Outstanding requests per connection.</summary>
    public int WindowSize { get; set; } = 50;

    /// <summary>The most submit_sm per second this instance sends over all its binds; 0 = unlimited.</summary>
    public int MaxSubmitsPerSecond { get; set; }

    /// <summary>How long the link may be idle before an enquire_link checks it.</summary>
    public TimeSpan EnquireLinkInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a request waits for its response before its outcome counts as unknown.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The first wait before reconnecting; it doubles (with jitter) on each failure, up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Connect with TLS (the SMSC's certificate is validated against the host name).</summary>
    public bool UseTls { get; set; }

    /// <summary>source_addr_ton: 1 (international) for E.164 numbers sent without the +.</summary>
    public byte SourceTon { get; set; } = 1;

    /// <summary>source_addr_npi: 1 (ISDN/E.164).</summary>
    public byte SourceNpi { get; set; } = 1;

    /// <summary>dest_addr_ton: 1 (international).</summary>
    public byte DestTon { get; set; } = 1;

    /// <summary>dest_addr_npi: 1 (ISDN/E.164).</summary>
    public byte DestNpi { get; set; } = 1;

    /// <summary>The longest reconnect wait.</summary>
    public static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(60);

    /// <summary>What is wrong with these settings, one line each; empty when they are usable.</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            yield return $"{Section}:Host is required when {CarrierGatewayOptions.Section}:Gateway is smpp";
        }

        if (Port is < 1 or > 65535)
        {
            yield return $"{Section}:Port must be 1 to 65535";
        }

        if (string.IsNullOrEmpty(SystemId) || SystemId.Length > 15)
        {
            yield return $"{Section}:SystemId is required, at most 15 characters";
        }

        if (Password is null || Password.Length > 8)
        {
            yield return $"{Section}:Password is required (it may be empty), at most 8 characters";
        }

        if (SystemType.Length > 12)
        {
            yield return $"{Section}:SystemType must be at most 12 characters";
        }

        if (Binds is < 1 or > 64)
        {
            yield return $"{Section}:Binds must be 1 to 64";
        }

        if (WindowSize is < 1 or > 10_000)
        {
            yield return $"{Section}:WindowSize must be 1 to 10000";
        }

        if (MaxSubmitsPerSecond < 0)
        {
            yield return $"{Section}:MaxSubmitsPerSecond must not be negative (0 = unlimited)";
        }

        if (EnquireLinkInterval < TimeSpan.FromSeconds(1))
        {
            yield return $"{Section}:EnquireLinkInterval must be at least 00:00:01";
        }

        if (ResponseTimeout < TimeSpan.FromMilliseconds(100) || ResponseTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"{Section}:ResponseTimeout must be 00:00:00.1 to 00:05:00";
        }

        if (ReconnectDelay < TimeSpan.FromMilliseconds(10) || ReconnectDelay > MaxReconnectDelay)
        {
            yield return $"{Section}:ReconnectDelay must be 00:00:00.01 to 00:01:00";
        }
    }
}
