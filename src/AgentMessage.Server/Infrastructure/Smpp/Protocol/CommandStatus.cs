namespace AgentMessage.Server.Infrastructure.Smpp.Protocol;

/// <summary>
/// SMPP 3.4 command_status values (section 5.1.3), named after the spec's ESME_R... names without
/// the prefix; <see cref="Name"/> gives the spec's name back for logs.
/// </summary>
public static class CommandStatus
{
    public const uint Ok = 0x00;                                  // ESME_ROK
    public const uint InvalidMessageLength = 0x01;                // ESME_RINVMSGLEN
    public const uint InvalidCommandLength = 0x02;                // ESME_RINVCMDLEN
    public const uint InvalidCommandId = 0x03;                    // ESME_RINVCMDID
    public const uint IncorrectBindStatus = 0x04;                 // ESME_RINVBNDSTS
    public const uint AlreadyBound = 0x05;                        // ESME_RALYBND
    public const uint InvalidPriorityFlag = 0x06;                 // ESME_RINVPRTFLG
    public const uint InvalidRegisteredDeliveryFlag = 0x07;       // ESME_RINVREGDLVFLG
    public const uint SystemError = 0x08;                         // ESME_RSYSERR
    public const uint InvalidSourceAddress = 0x0A;                // ESME_RINVSRCADR
    public const uint InvalidDestinationAddress = 0x0B;           // ESME_RINVDSTADR
    public const uint InvalidMessageId = 0x0C;                    // ESME_RINVMSGID
    public const uint BindFailed = 0x0D;                          // ESME_RBINDFAIL
    public const uint InvalidPassword = 0x0E;                     // ESME_RINVPASWD
    public const uint InvalidSystemId = 0x0F;                     // ESME_RINVSYSID
    public const uint CancelFailed = 0x11;                        // ESME_RCANCELFAIL
    public const uint ReplaceFailed = 0x13;                       // ESME_RREPLACEFAIL
    public const uint MessageQueueFull = 0x14;                    // ESME_RMSGQFUL
    public const uint InvalidServiceType = 0x15;                  // ESME_RINVSERTYP
    public const uint InvalidNumberOfDestinations = 0x33;         // ESME_RINVNUMDESTS
    public const uint InvalidDistributionListName = 0x34;         // ESME_RINVDLNAME
    public const uint InvalidDestinationFlag = 0x40;              // ESME_RINVDESTFLAG
    public const uint InvalidSubmitWithReplace = 0x42;            // ESME_RINVSUBREP
    public const uint InvalidEsmClass = 0x43;                     // ESME_RINVESMCLASS
    public const uint CannotSubmitToDistributionList = 0x44;      // ESME_RCNTSUBDL
    public const uint SubmitFailed = 0x45;                        // ESME_RSUBMITFAIL
    public const uint InvalidSourceTon = 0x48;                    // ESME_RINVSRCTON
    public const uint InvalidSourceNpi = 0x49;                    // ESME_RINVSRCNPI
    public const uint InvalidDestinationTon = 0x50;               // ESME_RINVDSTTON
    public const uint InvalidDestinationNpi = 0x51;               // ESME_RINVDSTNPI
    public const uint InvalidSystemType = 0x53;                   // ESME_RINVSYSTYP
    public const uint InvalidReplaceIfPresentFlag = 0x54;         // ESME_RINVREPFLAG
    public const uint InvalidNumberOfMessages = 0x55;             // ESME_RINVNUMMSGS
    public const uint Throttled = 0x58;                           // ESME_RTHROTTLED
    public const uint InvalidScheduledDeliveryTime = 0x61;        // ESME_RINVSCHED
    public const uint InvalidValidityPeriod = 0x62;               // ESME_RINVEXPIRY
    public const uint InvalidPredefinedMessage = 0x63;            // ESME_RINVDFTMSGID
    public const uint ReceiverTemporaryError = 0x64;              // ESME_RX_T_APPN
    public const uint ReceiverPermanentError = 0x65;              // ESME_RX_P_APPN
    public const uint ReceiverRejectedMessage = 0x66;             // ESME_RX_R_APPN
    public const uint QueryFailed = 0x67;                         // ESME_RQUERYFAIL
    public const uint InvalidOptionalParameter = 0xC0;            // ESME_RINVOPTPARSTREAM
    public const uint OptionalParameterNotAllowed = 0xC1;         // ESME_ROPTPARNOTALLWD
    public const uint InvalidParameterLength = 0xC2;              // ESME_RINVPARLEN
    public const uint MissingOptionalParameter = 0xC3;            // ESME_RMISSINGOPTPARAM
    public const uint InvalidOptionalParameterValue = 0xC4;       // ESME_RINVOPTPARAMVAL
    public const uint DeliveryFailure = 0xFE;                     // ESME_RDELIVERYFAILURE
    public const uint UnknownError = 0xFF;                        // ESME_RUNKNOWNERR

    /// <summary>The spec's name of <paramref name="status"/> ("ESME_RTHROTTLED"), or its value as
    /// "0x000000NN" when the spec names none (reserved and SMSC vendor-specific codes).</summary>
    public static string Name(uint status) => status switch
    {
        Ok => "ESME_ROK",
        InvalidMessageLength => "ESME_RINVMSGLEN",
        InvalidCommandLength => "ESME_RINVCMDLEN",
        InvalidCommandId => "ESME_RINVCMDID",
        IncorrectBindStatus => "ESME_RINVBNDSTS",
        AlreadyBound => "ESME_RALYBND",
        InvalidPriorityFlag => "ESME_RINVPRTFLG",
        InvalidRegisteredDeliveryFlag => "ESME_RINVREGDLVFLG",
        SystemError => "ESME_RSYSERR",
        InvalidSourceAddress => "ESME_RINVSRCADR",
        InvalidDestinationAddress => "ESME_RINVDSTADR",
        InvalidMessageId => "ESME_RINVMSGID",
        BindFailed => "ESME_RBINDFAIL",
        InvalidPassword => "ESME_RINVPASWD",
        InvalidSystemId => "ESME_RINVSYSID",
        CancelFailed => "ESME_RCANCELFAIL",
        ReplaceFailed => "ESME_RREPLACEFAIL",
        MessageQueueFull => "ESME_RMSGQFUL",
        InvalidServiceType => "ESME_RINVSERTYP",
        InvalidNumberOfDestinations => "ESME_RINVNUMDESTS",
        InvalidDistributionListName => "ESME_RINVDLNAME",
        InvalidDestinationFlag => "ESME_RINVDESTFLAG",
        InvalidSubmitWithReplace => "ESME_RINVSUBREP",
        InvalidEsmClass => "ESME_RINVESMCLASS",
        CannotSubmitToDistributionList => "ESME_RCNTSUBDL",
        SubmitFailed => "ESME_RSUBMITFAIL",
        InvalidSourceTon => "ESME_RINVSRCTON",
        InvalidSourceNpi => "ESME_RINVSRCNPI",
        InvalidDestinationTon => "ESME_RINVDSTTON",
        InvalidDestinationNpi => "ESME_RINVDSTNPI",
        InvalidSystemType => "ESME_RINVSYSTYP",
        InvalidReplaceIfPresentFlag => "ESME_RINVREPFLAG",
        InvalidNumberOfMessages => "ESME_RINVNUMMSGS",
        Throttled => "ESME_RTHROTTLED",
        InvalidScheduledDeliveryTime => "ESME_RINVSCHED",
        InvalidValidityPeriod => "ESME_RINVEXPIRY",
        InvalidPredefinedMessage => "ESME_RINVDFTMSGID",
        ReceiverTemporaryError => "ESME_RX_T_APPN",
        ReceiverPermanentError => "ESME_RX_P_APPN",
        ReceiverRejectedMessage => "ESME_RX_R_APPN",
        QueryFailed => "ESME_RQUERYFAIL",
        InvalidOptionalParameter => "ESME_RINVOPTPARSTREAM",
        OptionalParameterNotAllowed => "ESME_ROPTPARNOTALLWD",
        InvalidParameterLength => "ESME_RINVPARLEN",
        MissingOptionalParameter => "ESME_RMISSINGOPTPARAM",
        InvalidOptionalParameterValue => "ESME_RINVOPTPARAMVAL",
        DeliveryFailure => "ESME_RDELIVERYFAILURE",
        UnknownError => "ESME_RUNKNOWNERR",
        _ => $"0x{status:X8}",
    };

    /// <summary>
    /// True when a request refused with <paramref name="status"/> may succeed if sent again later,
    /// unchanged: the SMSC was busy or broken, not the message.
    /// </summary>
    /// <remarks>
    /// Transient: <see cref="Throttled"/> and <see cref="MessageQueueFull"/> (the spec's own
    /// "slow down" answers), <see cref="SystemError"/> (the SMSC failed, not the request),
    /// <see cref="ReceiverTemporaryError"/> (the spec names it temporary), and
    /// <see cref="IncorrectBindStatus"/> (the SMSC does not see this session as bound for the command:
    /// the message is fine and goes through once the link is bound again).
    /// Everything else is permanent, including <see cref="SubmitFailed"/>: the spec gives it no reason
    /// and no "try later", SMSCs use it for refusals a resend repeats (no route, no credit, a barred
    /// destination), and the spec has the codes above for an SMSC that wants a resend. Permanent too
    /// are <see cref="UnknownError"/>, reserved and vendor-specific codes, whose meaning we cannot know,
    /// so a resend would only delay the failure.
    /// </remarks>
    public static bool IsTransient(uint status) => status is
        Throttled or MessageQueueFull or SystemError or ReceiverTemporaryError or IncorrectBindStatus;
}
